/**
 * The browser bundle `resources/tag-editor.js` (global `FactoryHubTags`), built by scripts/build.js:
 * the tag core the runtime uses (so the editor validates and reads CSV with the very same code) plus
 * the table editor, the dialog hooks and the technician's sidebar.
 */
export { TAG_COLUMNS, DATA_TYPES, BYTE_ORDERS } from '../tag';
export { parseAddress, formatAddress } from '../address';
export { validateRows, formatTagError } from '../validate';
export { parseCsv, toCsv } from '../csv';
export { diffRows } from '../diff';
export { expandTemplates } from '../template';
export { buildTagMap, compileTagMap, readTagMapConfig, cleanRows } from '../tag-map-model';
export { validateTagMap } from './tag-map-state';
export { createTagMapEditor } from './tag-map-editor';
export { prepareDialog, saveDialog, close as cancelDialog, resizeDialog } from './dialog';
export { addTagMapSidebar } from './sidebar';
