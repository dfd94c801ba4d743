module github.com/crosscheck-dev/crosscheck/internal/targets/serve

go 1.25.0
