// Package widget holds the console's reusable pieces: labelled fields,
// alerts and buttons. They do no I/O and keep no state: a page builds them
// from its own state and passes its handlers, so one Dispatch of the page
// updates everything it shows.
package widget
