// The only door to the Tauri backend. Nothing outside platform/ imports @tauri-apps/*.
export * from './commands';
export * from './events';
export { AppError, errorMessage, toAppError } from './errors';
export type * from './types';
