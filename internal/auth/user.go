package auth

import "time"

// User is someone who may call Berth.
type User struct {
	ID    string `json:"ID"`
	Name  string `json:"Name"`
	Email string `json:"Email"`
	// PasswordHash is a bcrypt hash; "" means the user cannot log in with a password.
	PasswordHash string `json:"PasswordHash"`
	// Roles holds apiv1.RoleSystemAdmin or apiv1.RoleDefault.
	Roles []string `json:"Roles"`
	// Workspaces are the workspaces the user is a member of.
	Workspaces     []string `json:"Workspaces"`
	RestrictedType int      `json:"RestrictedType"`
	// TokenGeneration is signed into every login token; changing it (password change,
	// restriction) ends every token issued before.
	TokenGeneration string    `json:"TokenGeneration"`
	AvatarURL       string    `json:"AvatarURL"`
	CreationTime    time.Time `json:"CreationTime"`
	Version         int64     `json:"Version"`
}

// APIKey lets a program act as a user. Only a keyed hash of the key is stored.
type APIKey struct {
	ID             string    `json:"ID"`
	Name           string    `json:"Name"`
	UserID         string    `json:"UserID"`
	Hash           string    `json:"Hash"`
	Hint           string    `json:"Hint"` // the key's last characters, to tell keys apart
	CreationTime   time.Time `json:"CreationTime"`
	ExpirationTime time.Time `json:"ExpirationTime"` // zero: never expires
}
