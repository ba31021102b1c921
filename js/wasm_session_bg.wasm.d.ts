/**
 * `import wasmUrl from "wasm-session/wasm_session_bg.wasm"`: the wasm file's URL, for a
 * bundler that copies the file and gives its URL (esbuild `--loader:.wasm=file`). Pass it
 * to `init({ module_or_path: wasmUrl })`. (Replaces wasm-bindgen's declaration of the raw
 * wasm exports, which no entry of this package imports.)
 */
declare const wasmUrl: string;
export default wasmUrl;
