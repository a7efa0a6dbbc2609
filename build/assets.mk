# Front-end assets, included by the top-level Makefile.
#
# `make assets` installs the npm packages pinned in package-lock.json, compiles
# scss/app.scss and copies the browser files into internal/web/static/dist/,
# the folder the web package embeds. Nothing built here is committed. Each
# step runs again only when its inputs change (stamp files).
#
# It also copies axe-core into internal/browsertest/testdata/ for the
# accessibility checks of the browser tests; that file is never embedded.

ASSETS_NPM   ?= npm
ASSETS_NM    := node_modules
ASSETS_DIST  := internal/web/static/dist
ASSETS_AXE   := internal/browsertest/testdata/axe.min.js
ASSETS_STAMP := $(ASSETS_DIST)/.built
ASSETS_GOVUK := $(ASSETS_NM)/govuk-frontend/dist/govuk
ASSETS_MOJ   := $(ASSETS_NM)/@ministryofjustice/frontend/moj
ASSETS_LF    := $(ASSETS_NM)/leaflet/dist

.PHONY: assets assets-clean

## assets: build the CSS, JavaScript and images the web interface embeds
assets: $(ASSETS_STAMP) $(ASSETS_AXE)

$(ASSETS_NM)/.installed: package.json package-lock.json
	$(ASSETS_NPM) ci --no-audit --no-fund
	touch $@

# The dist folder is emptied first (keeping its committed placeholder) so that
# a file dropped from this list does not linger in the embedded set.
$(ASSETS_STAMP): $(ASSETS_NM)/.installed $(wildcard scss/*.scss) build/assets.mk
	find $(ASSETS_DIST) -mindepth 1 ! -name .gitkeep -delete
	mkdir -p $(ASSETS_DIST)/images $(ASSETS_DIST)/leaflet/images
	$(ASSETS_NM)/.bin/sass --load-path=. --style=compressed --no-source-map --quiet-deps \
		scss/app.scss $(ASSETS_DIST)/app.css
	cp $(ASSETS_GOVUK)/govuk-frontend.min.js $(ASSETS_MOJ)/moj-frontend.min.js $(ASSETS_DIST)/
	cp $(ASSETS_MOJ)/assets/images/icon-*.svg $(ASSETS_DIST)/images/
	cp $(ASSETS_LF)/leaflet.js $(ASSETS_LF)/leaflet.css $(ASSETS_NM)/leaflet/LICENSE $(ASSETS_DIST)/leaflet/
	cp $(ASSETS_LF)/images/*.png $(ASSETS_DIST)/leaflet/images/
	touch $@

$(ASSETS_AXE): $(ASSETS_NM)/.installed
	mkdir -p $(dir $@)
	cp $(ASSETS_NM)/axe-core/axe.min.js $@

## assets-clean: remove the built assets and the npm packages
assets-clean:
	find $(ASSETS_DIST) -mindepth 1 ! -name .gitkeep -delete
	rm -rf $(ASSETS_NM) $(ASSETS_AXE)
