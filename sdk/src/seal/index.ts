// @stage/sdk seal: public face of this concept. Implementation files sit beside it.
export {};
