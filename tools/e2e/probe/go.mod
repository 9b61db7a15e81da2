module github.com/ome/ome.k8s/tools/e2e/probe

go 1.26.0
