module github.com/crosscheck-dev/crosscheck/internal/targets/vuln/rs-cors-v1.4.0

go 1.25.0

require github.com/rs/cors v1.4.0
