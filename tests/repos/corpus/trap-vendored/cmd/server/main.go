package main

import (
	"net/http"

	"github.com/go-chi/chi/v5"
)

func main() {
	router := chi.NewRouter()
	router.Get("/reports", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("[]"))
	})
	http.ListenAndServe(":8080", router)
}
