// Package auth holds who may call Berth and what they may do: password hashes,
// login tokens, API keys, the sealing of secrets at rest and the permission matrix.
//
// Everything here is a pure function or a method on [Keys], the server's 32-byte
// secret. The package does no HTTP and no storage; httpapi reads the token from the
// request, the store loads users, and this package answers the questions in between.
//
// One server secret feeds three uses, each with its own key so that no key serves
// two algorithms:
//
//   - API keys are stored as HMAC-SHA256(server secret, key), hex encoded, as the
//     reference does (DESIGN decision 8).
//   - Login tokens are signed with HMAC-SHA256 under a key derived by HKDF-SHA256
//     (label "berth login token v1"). A token names its user and the generation of
//     their tokens, its expiry and a nonce; it is refused once expired, once the
//     generation changes (a password change or a freeze) and once a logout has
//     recorded its TokenID in the store.
//   - Secrets are sealed with AES-256-GCM under a key derived by HKDF-SHA256
//     (label "berth seal v1").
//
// Permissions follow the matrix of the reference (behaviour §7.2): system admins may
// do everything, workspace managers everything within their workspaces, members
// create, get and list within theirs, owners get, change and clone what they own.
// A restricted user (RestrictedType ≥ 1) may do nothing: every Can* function
// answers false for them, whatever their roles.
package auth
