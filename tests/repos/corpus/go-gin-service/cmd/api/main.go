package main

import (
	"log"

	"github.com/gin-gonic/gin"

	"github.com/acme/orders/internal/store"
)

func main() {
	db, err := store.Open()
	if err != nil {
		log.Fatal(err)
	}
	router := gin.Default()
	router.GET("/orders/:id", func(c *gin.Context) {
		order, err := db.Order(c.Param("id"))
		if err != nil {
			c.JSON(404, gin.H{"error": "not found"})
			return
		}
		c.JSON(200, order)
	})
	log.Fatal(router.Run(":8080"))
}
