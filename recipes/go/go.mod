module example.com/aihubmix-mock-recipe

go 1.23

require github.com/testcontainers/testcontainers-go v0.40.0
