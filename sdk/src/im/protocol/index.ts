// The IM protocol shared by the hub and the client: zod schemas for every frame and the inferred types.
export * from './limits.js';
export * from './errors.js';
export * from './closeCodes.js';
export * from './model.js';
export * from './extension.js';
export * from './commands.js';
export * from './replies.js';
export * from './outcomes.js';
export * from './frames.js';
export * from './http.js';
export * from './deviceSession.js';
export * from './SessionLimitError.js';
