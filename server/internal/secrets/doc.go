// Package secrets holds the server key: it loads or creates the key file,
// computes the fingerprint recorded in the database, seals values with
// AES-256-GCM bound to where they are stored, and keys code HMACs.
package secrets
