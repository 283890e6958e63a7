// Entry point of the Vue page: a topic's live feed through @stage/sdk/vue.
import { createApp } from 'vue';
import TopicFeed from './TopicFeed.vue';
import '../styles.css';
import './feed.css';

createApp(TopicFeed).mount('#app');
