// @stage/sdk im: public face of this concept. Implementation files sit beside it.
export {};
