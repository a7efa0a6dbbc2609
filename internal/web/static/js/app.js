// Throughcare's own script, loaded as an ES module on every page. Pages work
// without it; with it, GOV.UK Frontend and MoJ Frontend components start,
// the search page's filter panel folds away on narrow screens, and service
// and search pages draw their map.
//
// The Content-Security-Policy allows no inline script, so the body classes
// GOV.UK Frontend's page template sets with an inline snippet are set here.
// Only browsers that run ES modules get this far, which is what
// "govuk-frontend-supported" promises.

import { initAll as initGovuk } from '../dist/govuk-frontend.min.js'
import { initAll as initMoj, FilterToggleButton } from '../dist/moj-frontend.min.js'

document.body.classList.add('js-enabled', 'govuk-frontend-supported')
initGovuk()
initMoj()
startFilter()
startMaps()

// startFilter lets the filter panel of the search page fold away behind a
// "Show filter" button on narrow screens, where MoJ Frontend's styles lay
// it over the page once scripts run. On wide screens it stays open beside
// the results. MoJ Frontend's initAll does not start this component.
function startFilter () {
  const filter = document.querySelector('[data-module="moj-filter"]')
  if (filter) {
    /* eslint-disable-next-line no-new */
    new FilterToggleButton(filter, {
      // Narrow screens fold the panel anyway; wide ones keep it open.
      startHidden: false,
      toggleButtonContainer: { selector: '.moj-action-bar__filter' }
    })
  }
}

// startMaps draws a Leaflet map in every element marked data-app-map.
//
//   data-markers     id of an element whose descendants with data-lat and
//                    data-lng (and data-label) become markers; a
//                    data-href on one makes its label a link
//   data-areas       URL of a GeoJSON document of outlines to draw
//   data-tiles       tile URL template; without it the map has a plain
//                    background, with markers and outlines only
//   data-attribution plain-text credit for the tiles
//
// Leaflet is loaded (deferred, before this module) only on pages with a map.
function startMaps () {
  const L = window.L
  const elements = document.querySelectorAll('[data-app-map]')
  if (!L || elements.length === 0) {
    return
  }
  for (const el of elements) {
    startMap(L, el)
  }
}

function startMap (L, el) {
  const map = L.map(el, { scrollWheelZoom: false, zoomSnap: 0.5 })
  map.attributionControl.setPrefix(false)
  if (el.dataset.tiles) {
    L.tileLayer(el.dataset.tiles, {
      maxZoom: 18,
      attribution: escapeHTML(el.dataset.attribution || '')
    }).addTo(map)
  }

  const bounds = L.latLngBounds([])
  const list = el.dataset.markers && document.getElementById(el.dataset.markers)
  if (list) {
    for (const item of list.querySelectorAll('[data-lat][data-lng]')) {
      const latLng = L.latLng(Number(item.dataset.lat), Number(item.dataset.lng))
      const label = item.dataset.label || 'Location'
      const popup = document.createElement('p')
      popup.className = 'govuk-body govuk-!-margin-0'
      if (item.dataset.href) {
        const link = document.createElement('a')
        link.className = 'govuk-link'
        link.href = item.dataset.href
        link.textContent = label
        popup.append(link)
      } else {
        popup.textContent = label
      }
      L.marker(latLng, { title: label, alt: label, keyboard: true })
        .bindPopup(popup)
        .addTo(map)
      bounds.extend(latLng)
    }
  }
  fit(map, bounds)

  if (el.dataset.areas) {
    fetch(el.dataset.areas, { headers: { Accept: 'application/geo+json' } })
      .then(response => {
        if (!response.ok) {
          throw new Error(`areas: HTTP ${response.status}`)
        }
        return response.json()
      })
      .then(geojson => {
        const layer = L.geoJSON(geojson, {
          style: { className: 'app-map__area', weight: 2, fillOpacity: 0.1 }
        }).addTo(map)
        const areaBounds = layer.getBounds()
        if (areaBounds.isValid()) {
          bounds.extend(areaBounds)
          fit(map, bounds)
        }
      })
      .catch(err => {
        // The areas are also listed in words on the page; the map can do
        // without them.
        console.warn('Throughcare: could not draw service areas', err)
      })
  }
}

// fit shows every marker and outline, or the British Isles when there is
// nothing yet to show.
function fit (map, bounds) {
  if (!bounds.isValid()) {
    map.setView([54.0, -2.5], 5)
  } else if (bounds.getNorthEast().equals(bounds.getSouthWest())) {
    map.setView(bounds.getCenter(), 14)
  } else {
    map.fitBounds(bounds, { padding: [24, 24], maxZoom: 15 })
  }
}

function escapeHTML (text) {
  const div = document.createElement('div')
  div.textContent = text
  return div.innerHTML
}
