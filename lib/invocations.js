'use strict';
// client.invocations: the calls on /invocations.

const { callNative } = require('./call');
const { checkId, checkObject, checkRequestOptions, invalid } = require('./validate');

const UPDATE_PARAMS = ['status', 'output'];

class Invocations {
  #native;

  constructor(native) {
    this.#native = native;
  }

  /**
   * Update an invocation's status or output (`PATCH /invocations/{id}`).
   */
  async update(id, params, options) {
    checkId(id);
    if (params === undefined || params === null) throw invalid('params', 'an object', params);
    checkObject('params', params, UPDATE_PARAMS, { required: true });
    if (typeof params.status !== 'string') throw invalid('params.status', "'succeeded' or 'failed'", params.status);
    if (params.output !== undefined && typeof params.output !== 'string') {
      throw invalid('params.output', 'a string (JSON text)', params.output);
    }
    const request = checkRequestOptions(options);
    const body = params.output === undefined ? { status: params.status } : { status: params.status, output: params.output };
    return callNative((native, token) => this.#native.updateInvocation(id, body, native, token), request);
  }
}

module.exports = { Invocations };
