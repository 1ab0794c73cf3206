export * from './sijax.error';
