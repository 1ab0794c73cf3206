import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { SijaxModuleExtras, SijaxModuleOptions } from './interfaces';
import { SIJAX_DEFAULTS } from './sijax.constants';
import { createSijaxController } from './http/sijax.controller';
import { SIJAX_MODULE_OPTIONS } from './sijax.tokens';

export const { ConfigurableModuleClass, OPTIONS_TYPE, ASYNC_OPTIONS_TYPE } =
  new ConfigurableModuleBuilder<SijaxModuleOptions>({ optionsInjectionToken: SIJAX_MODULE_OPTIONS })
    .setClassMethodName('forRoot')
    .setFactoryMethodName('createSijaxOptions')
    .setExtras<SijaxModuleExtras>(
      { path: SIJAX_DEFAULTS.path, isGlobal: true },
      (definition, extras) => ({
        ...definition,
        global: extras.isGlobal ?? true,
        controllers: [createSijaxController(extras.path ?? SIJAX_DEFAULTS.path)],
      }),
    )
    .build();
