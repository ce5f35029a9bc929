/**
 * MMM 2.2 configuration: the typed model, a pure parser that reads real MMM files (errors as
 * "file:line: what"), and a renderer for the tutorial's three files. See model.ts for the two
 * sets of defaults (MMM's, and the ones bootstrap renders) and keys.ts for every accepted key.
 */
export * from "./model.js";
export { parseMmmConfig, isIpv4, type ReadInclude, type ParseMmmOptions } from "./parse-mmm-config.js";
export { renderMmmConfig, renderMmmCommon, renderMmmMon, renderMmmAgent, type MmmConfigFiles } from "./render-mmm-config.js";
export { TOP_KEYS, HOST_KEYS, ROLE_KEYS, MONITOR_KEYS, CHECK_KEYS, SOCKET_KEYS, type KeySpec } from "./keys.js";
