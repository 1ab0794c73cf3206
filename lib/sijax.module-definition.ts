import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { SijaxModuleExtras, SijaxModuleOptions } from './interfaces';
import { DEFAULT_SIJAX_PATH } from './sijax.constants';
import { createSijaxController } from './sijax.controller';
import { SIJAX_MODULE_OPTIONS } from './sijax.tokens';

export const { ConfigurableModuleClass, OPTIONS_TYPE, ASYNC_OPTIONS_TYPE } =
  new ConfigurableModuleBuilder<SijaxModuleOptions>({ optionsInjectionToken: SIJAX_MODULE_OPTIONS })
    .setClassMethodName('forRoot')
    .setFactoryMethodName('createSijaxOptions')
    .setExtras<SijaxModuleExtras>(
      { path: DEFAULT_SIJAX_PATH, isGlobal: true },
      (definition, extras) => ({
        ...definition,
        global: extras.isGlobal ?? true,
        controllers: [createSijaxController(extras.path ?? DEFAULT_SIJAX_PATH)],
      }),
    )
    .build();
