package auth

import "time"

// User is someone who may call Berth.
type User struct {
	ID    string
	Name  string
	Email string
	// PasswordHash is a bcrypt hash; "" means the user cannot log in with a password.
	PasswordHash string
	// Roles holds apiv1.RoleSystemAdmin or apiv1.RoleDefault.
	Roles []string
	// Workspaces are the workspaces the user is a member of.
	Workspaces     []string
	RestrictedType int
	// TokenGeneration is signed into every login token; changing it (password change,
	// restriction) ends every token issued before.
	TokenGeneration string
	AvatarURL       string
	CreationTime    time.Time
	Version         int64
}

// APIKey lets a program act as a user. Only a keyed hash of the key is stored.
type APIKey struct {
	ID             string
	Name           string
	UserID         string
	Hash           string
	Hint           string // the key's last characters, to tell keys apart
	CreationTime   time.Time
	ExpirationTime time.Time // zero: never expires
}
