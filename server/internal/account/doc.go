// Package account keeps users: creation, look-up by case-insensitive
// username, argon2id password hashes and the password policy.
package account
