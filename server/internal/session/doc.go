// Package session keeps browser sessions in the database: random 256-bit
// tokens of which only a hash is stored, their levels (pending second
// factor, enrolment, full), idle and absolute timeouts, elevation for
// step-up, and the cookie that carries them.
package session
