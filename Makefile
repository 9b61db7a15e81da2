# The two commands in the README: `make render` (the main job without a cluster) and `make test`.
# Both set up .venv first when needed.

SHELL := /bin/bash
VENV := .venv
INVENTORY ?= inventories/lochy
RENDER_DIR ?= $(CURDIR)/rendered/$(notdir $(INVENTORY))
export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg

.PHONY: setup render apply test lint sanity pytest molecule build changelog clean k8s-artifacts

setup: $(VENV)/.requirements.sha256 ansible.cfg

$(VENV)/.requirements.sha256 ansible.cfg: requirements.txt tools/setup.sh tools/find-python.sh tools/build-python.sh
	bash tools/setup.sh

## Render every application of $(INVENTORY) into $(RENDER_DIR), validate, print a summary.
render: setup
	$(VENV)/bin/ansible-playbook -i $(INVENTORY) playbooks/apps.yml -e ome_k8s_render_dir=$(RENDER_DIR)

## Apply the same objects to the cluster of $(INVENTORY) (kubeconfig: ome_k8s_kubeconfig or ~/.kube/config).
apply: setup
	$(VENV)/bin/ansible-playbook -i $(INVENTORY) playbooks/apps.yml

## Every check: test deps, lint, build + install, sanity, pytest, Molecule.
test: setup
	bash tools/test.sh

lint sanity pytest molecule build: setup
	bash tools/test.sh $@

## Kubernetes node packages and image archives built from the Go module proxy (tools/k8s); not part
## of `make test`. The last line printed is the artifact directory, cached outside the repository.
k8s-artifacts:
	bash tools/k8s/build.sh

changelog: setup
	$(VENV)/bin/antsibull-changelog release

clean:
	rm -rf build rendered .ansible ansible.cfg
