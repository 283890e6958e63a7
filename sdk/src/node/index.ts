// @stage/sdk node: public face of this concept. Implementation files sit beside it.
export {};
export * from './nodeSealing.js';
