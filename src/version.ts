// The SMCRoute release this port follows, reported by -v and at start-up.
export const VERSION = '2.6.0';
