export * from './sijax.error';
export * from './sijax-cancelled.error';
