export * from './comet-callback.decorator';
export * from './comet-handler.decorator';
export * from './sijax-callback.decorator';
export * from './sijax-handler.decorator';
export * from './upload-callback.decorator';
