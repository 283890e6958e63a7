// @stage/sdk react: public face of this concept. Implementation files sit beside it.
export {};
