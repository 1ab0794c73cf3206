/** Injection token of the options given to `SijaxModule.forRoot()` / `forRootAsync()`. @publicApi */
export const SIJAX_MODULE_OPTIONS = Symbol('SIJAX_MODULE_OPTIONS');

/** The path the module takes calls at (internal: the controller is made for it). */
export const SIJAX_PATH = Symbol('SIJAX_PATH');
