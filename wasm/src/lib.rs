//! placeholder until the wasm layer lands
