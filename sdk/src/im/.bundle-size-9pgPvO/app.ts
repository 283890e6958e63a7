export { ImClient, ImError, login, register, defineExtension, administersStream, settableTopicStatuses, topicKey, topicStatusRefusal } from '../index.js';
