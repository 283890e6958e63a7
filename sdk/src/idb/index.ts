// @stage/sdk idb: public face of this concept. Implementation files sit beside it.
export {};
