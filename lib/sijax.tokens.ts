/** Injection token of the options given to `SijaxModule.forRoot()` / `forRootAsync()`. @publicApi */
export const SIJAX_MODULE_OPTIONS = Symbol('SIJAX_MODULE_OPTIONS');
