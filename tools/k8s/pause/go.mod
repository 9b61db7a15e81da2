module github.com/ome/ome.k8s/tools/k8s/pause

go 1.26.0
