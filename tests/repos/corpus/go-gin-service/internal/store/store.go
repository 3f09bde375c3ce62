package store

import (
	"os"

	"gorm.io/gorm"
)

type Order struct {
	ID    string
	Total int64
}

type Store struct{ db *gorm.DB }

func Open() (*Store, error) {
	_ = os.Getenv("DATABASE_URL")
	return &Store{}, nil
}

func (s *Store) Order(id string) (*Order, error) {
	var order Order
	return &order, s.db.First(&order, "id = ?", id).Error
}
