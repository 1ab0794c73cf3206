import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { SijaxModuleExtras, SijaxModuleOptions } from './interfaces';
import { SIJAX_DEFAULTS } from './sijax.constants';
import { createSijaxController } from './http/sijax.controller';
import { SIJAX_MODULE_OPTIONS, SIJAX_PATH } from './sijax.tokens';

export const { ConfigurableModuleClass, OPTIONS_TYPE, ASYNC_OPTIONS_TYPE } =
  new ConfigurableModuleBuilder<SijaxModuleOptions>({ optionsInjectionToken: SIJAX_MODULE_OPTIONS })
    .setClassMethodName('forRoot')
    .setFactoryMethodName('createSijaxOptions')
    .setExtras<SijaxModuleExtras>(
      { path: SIJAX_DEFAULTS.path, isGlobal: true },
      (definition, extras) => {
        const path = extras.path ?? SIJAX_DEFAULTS.path;
        return {
          ...definition,
          global: extras.isGlobal ?? true,
          controllers: [createSijaxController(path)],
          providers: [...(definition.providers ?? []), { provide: SIJAX_PATH, useValue: path }],
        };
      },
    )
    .build();
