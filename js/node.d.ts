// `import "wasm-session/node"`: the package, already initialized (see node.js).
export * from "./wasm_session.js";
export { default } from "./wasm_session.js";
