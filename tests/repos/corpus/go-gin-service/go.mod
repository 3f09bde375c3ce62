module github.com/acme/orders

go 1.22

require (
	github.com/gin-gonic/gin v1.10.0
	github.com/jackc/pgx/v5 v5.6.0
	github.com/redis/go-redis/v9 v9.5.1
	github.com/stretchr/testify v1.9.0
	go.opentelemetry.io/otel v1.27.0
	gorm.io/gorm v1.25.10
)

require (
	github.com/bytedance/sonic v1.11.6 // indirect
	github.com/go-playground/validator/v10 v10.20.0 // indirect
	github.com/mattn/go-sqlite3 v1.14.22 // indirect
)
