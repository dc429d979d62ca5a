'use strict';
// logLevel / logger / KERNEL_LOG, as in @onkernel/sdk. The Rust core writes the records of each
// call (request, response, retries, failure; the API key redacted) and the JS layer hands them
// to the logger when the call settles.

const { invalidInput } = require('./validate');

const LEVELS = { debug: 0, info: 1, warn: 2, error: 3, off: 4 };
const LEVEL_NAMES = Object.keys(LEVELS);

let warnedAboutEnv = false;

function isLevel(value) {
  return typeof value === 'string' && Object.hasOwn(LEVELS, value);
}

function checkLogger(logger) {
  if (logger === undefined || logger === null) return console;
  const missing = ['debug', 'info', 'warn', 'error'].filter((name) => typeof logger[name] !== 'function');
  if (typeof logger !== 'object' || missing.length > 0) {
    throw invalidInput('logger', 'expected an object with debug, info, warn and error methods');
  }
  return logger;
}

/** The level from the option, else KERNEL_LOG (an invalid value is warned about once), else 'warn'. */
function resolveLogLevel(option, logger) {
  if (option !== undefined && option !== null) {
    if (!isLevel(option)) {
      throw invalidInput('logLevel', `expected one of ${LEVEL_NAMES.join(', ')}, got ${JSON.stringify(option)}`);
    }
    return option;
  }
  const fromEnv = process.env.KERNEL_LOG?.trim();
  if (!fromEnv) return 'warn';
  if (isLevel(fromEnv)) return fromEnv;
  if (!warnedAboutEnv) {
    warnedAboutEnv = true;
    logger.warn(
      `process.env['KERNEL_LOG'] was set to ${JSON.stringify(fromEnv)}, expected one of ${LEVEL_NAMES.join(', ')}; using 'warn'`,
    );
  }
  return 'warn';
}

/** Whether calls should collect records at all: the core only writes debug and info ones. */
function wantsCallLogs(level) {
  return LEVELS[level] <= LEVELS.info;
}

/** Hands `records` ({ level, message }) at or above `level` to `logger`. */
function emitRecords(logger, level, records) {
  for (const record of records) {
    if (LEVELS[record.level] >= LEVELS[level]) logger[record.level](`kernel-native ${record.message}`);
  }
}

module.exports = { LEVELS, checkLogger, resolveLogLevel, wantsCallLogs, emitRecords };
