// react and react-dom are marked external when bundling (see run.mjs).
export * from "react-idle-timer";
