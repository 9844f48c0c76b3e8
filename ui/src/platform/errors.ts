import type { UiError } from './types';

/** The one error type the UI sees. `message` is meant for the user. */
export class AppError extends Error {
  readonly code: string;

  constructor(code: string, message: string) {
    super(message);
    this.name = 'AppError';
    this.code = code;
  }
}

function isCodeMessage(value: unknown): value is UiError {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v.code === 'string' && typeof v.message === 'string';
}

/** Converts anything a command rejects with into an AppError. */
export function toAppError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  if (isCodeMessage(error)) return new AppError(error.code, error.message);
  if (typeof error === 'string' && error.length > 0) return new AppError('unknown', error);
  if (error instanceof Error) return new AppError('internal', error.message);
  return new AppError('unknown', 'Something went wrong. Please try again.');
}

/** The text to show for any error caught in the UI. */
export function errorMessage(error: unknown): string {
  return toAppError(error).message;
}
