# The two commands in the README: `make render` (the main job without a cluster) and `make test`.
# Both set up .venv first when needed.

SHELL := /bin/bash
VENV := .venv
INVENTORY ?= inventories/lochy
# rendered/<inventory directory name>, with or without a trailing slash on INVENTORY.
RENDER_DIR ?= $(CURDIR)/rendered/$(notdir $(abspath $(INVENTORY)))
BASE ?= main
export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg

.PHONY: setup render render-diff apply test lint sanity pytest molecule build changelog clean k8s-artifacts e2e e2e-down

setup: $(VENV)/.requirements.sha256 ansible.cfg

$(VENV)/.requirements.sha256 ansible.cfg: requirements.txt tools/setup.sh tools/find-python.sh tools/build-python.sh
	bash tools/setup.sh

## Render every application of $(INVENTORY) into $(RENDER_DIR), validate, print a summary.
render: setup
	$(VENV)/bin/ansible-playbook -i $(INVENTORY) playbooks/apps.yml -e ome_k8s_render_dir=$(RENDER_DIR)

## Render $(INVENTORY) at git ref $(BASE) (a temporary worktree) and in the working tree; print the diff.
render-diff: setup
	bash tools/render-diff.sh "$(BASE)" "$(INVENTORY)"

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

## playbooks/cluster.yml for real on 1 control plane + 2 workers in local containers, with the artifacts
## of k8s-artifacts; writes build/e2e/summary.json. E2E_KEEP=1 leaves the cluster up; e2e-down removes it.
## Not part of `make test`.
e2e: setup
	bash tools/e2e/run.sh

e2e-down: setup
	PATH=$(CURDIR)/$(VENV)/bin:$$PATH ANSIBLE_COLLECTIONS_PATH=$(CURDIR)/build/collections \
	  OME_K8S_E2E_DIR=$(CURDIR)/build/e2e OME_K8S_E2E_ARTIFACTS=unused bash tools/e2e/run.sh down

changelog: setup
	$(VENV)/bin/antsibull-changelog release

clean:
	rm -rf build rendered .ansible ansible.cfg
