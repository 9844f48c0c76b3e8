// The types of the Tauri command contract: generated from the Rust types by ts-rs into ./contract.ts
// (src-tauri/src/contract.rs lists them; refresh with ./tasks.sh types). None is written by hand.
export type * from './contract';
