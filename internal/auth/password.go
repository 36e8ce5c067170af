package auth

import "golang.org/x/crypto/bcrypt"

// PasswordCost is the bcrypt cost of new password hashes.
const PasswordCost = bcrypt.DefaultCost

// HashPassword returns the bcrypt hash of pw. It fails for passwords longer than
// 72 bytes, which bcrypt would otherwise silently truncate.
func HashPassword(pw string) (string, error) {
	h, err := bcrypt.GenerateFromPassword([]byte(pw), PasswordCost)
	if err != nil {
		return "", err
	}
	return string(h), nil
}

// CheckPassword reports whether pw matches the bcrypt hash. An empty hash matches
// nothing: such a user cannot log in with a password.
func CheckPassword(hash, pw string) bool {
	if hash == "" {
		return false
	}
	return bcrypt.CompareHashAndPassword([]byte(hash), []byte(pw)) == nil
}
