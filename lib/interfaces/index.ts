export * from './sijax-events.interface';
export * from './sijax-handler-definition.interface';
export * from './sijax-handler-options.interface';
export * from './sijax-module-options.interface';
export * from './sijax-request.interface';
export * from './sijax-upload.interface';
