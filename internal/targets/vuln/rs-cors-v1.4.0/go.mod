module github.com/crosscheck-dev/crosscheck/internal/targets/vuln/rs-cors-v1.4.0

go 1.25.0

require github.com/rs/cors v1.4.0

require github.com/crosscheck-dev/crosscheck/internal/targets/serve v0.0.0

replace github.com/crosscheck-dev/crosscheck/internal/targets/serve => ../../serve
