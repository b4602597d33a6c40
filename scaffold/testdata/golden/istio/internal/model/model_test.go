package model

import (
	"errors"
	"testing"
)

func TestValidate(t *testing.T) {
	good := User{Name: "Ada Lovelace", Email: "ada@example.com"}
	if err := good.Validate(); err != nil {
		t.Fatalf("valid users: %v", err)
	}
	tests := map[string]func(v *User){
		"empty name":           func(v *User) { v.Name = " " },
		"empty email":          func(v *User) { v.Email = " " },
		"email without domain": func(v *User) { v.Email = "ada@" },
	}
	for name, mutate := range tests {
		t.Run(name, func(t *testing.T) {
			v := good
			mutate(&v)
			if err := v.Validate(); !errors.Is(err, ErrInvalid) {
				t.Fatalf("Validate() = %v, want ErrInvalid", err)
			}
		})
	}
}
