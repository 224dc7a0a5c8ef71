// The "3D" button of the web map and the review page. It is all the 3D code the pages load
// up front: CesiumJS (several MB) is downloaded by the dynamic import() below only when the
// user first opens the 3D view.

/**
 * @typedef {{id: string, title: string, url: string, primary: boolean}} TilesetConfig
 * @typedef {{baseUrl: string, imageryUrl: string | null, extent: number[] | null,
 *   fallbackCenter: number[], tilesets: TilesetConfig[], utcOffsetMinutes: number,
 *   labels: Record<string, any>}} View3dConfig
 */

/** @returns {View3dConfig | null} */
function readView3dConfig() {
  const element = document.getElementById('view3d-config');
  return element ? JSON.parse(element.textContent) : null;
}

function setMessage(container, text, kind = 'muted') {
  const message = container.querySelector('.view3d-message');
  message.textContent = text;
  message.className = `view3d-message ${kind}`;
  message.hidden = !text;
}

/**
 * Wires the 3D toggle: the first click loads the viewer (lazily) into #view3d; later clicks
 * switch between the 2D map and the 3D view. `infoTarget` is where clicked buildings are
 * described (the 2D map's feature-info panel when the page has one); `wmsUrl` draws the
 * ground of a past date. Returns {showPlansOn(date)} for the map's date control (YYYY-MM-DD,
 * '' for now), or null on pages without the 3D view.
 */
export function setUpView3d({ infoTarget = null, wmsUrl = null } = {}) {
  const config = readView3dConfig();
  const button = document.getElementById('view3d-toggle');
  const container = document.getElementById('view3d');
  if (!config || !button || !container) return null;
  const state = { open: false, loading: null, view: null, date: '' };
  globalThis.__view3d = { state: 'closed', tilesLoaded: false };

  const show = (open) => {
    state.open = open;
    container.hidden = !open;
    button.setAttribute('aria-pressed', String(open));
    button.textContent = open ? config.labels.show2d : config.labels.show3d;
    document.body.classList.toggle('view3d-open', open);
  };

  const load = () => {
    // Cesium reads its base URL when it first needs a worker or an asset.
    globalThis.CESIUM_BASE_URL = config.baseUrl;
    setMessage(container, config.labels.loading);
    globalThis.__view3d.state = 'loading';
    container.classList.remove('view3d-failed');
    return import('./view3d.js')
      .then(({ openView3d }) => openView3d(container, config,
        { infoTarget, wmsUrl, date: state.date }))
      .then((view) => {
        state.view = view;
        view.showPlansOn(state.date); // the date may have changed while it loaded
        return view;
      })
      .catch((error) => {
        globalThis.__view3d.state = 'failed';
        globalThis.__view3d.error = String(error);
        setMessage(container, config.labels.loadError, 'error');
        container.classList.add('view3d-failed');
        throw error;
      });
  };

  button.addEventListener('click', () => {
    show(!state.open);
    if (state.open && !state.loading) {
      state.loading = load().catch(() => { state.loading = null; });
    }
    if (state.view) state.view.setActive(state.open);
  });

  return {
    showPlansOn(date) {
      state.date = date || '';
      if (state.view) state.view.showPlansOn(state.date);
    },
  };
}
