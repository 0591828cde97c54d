// The public entry of @vaults/bull-board (package.json "exports"): main.ts runs the board; the
// deploy tests read its environment schema. (The app itself is not exported: @bull-board pulls in
// ES modules that a CommonJS importer such as jest cannot load.)
export { boardEnvSchema, loadBoardConfig, type BoardConfig } from './config';
